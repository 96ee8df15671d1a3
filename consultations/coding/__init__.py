"""Themes (each process's codebook) and coding: tagging any contribution with themes, the
coding workbench, workshop clusters promoted to themes, double coding and agreement."""
