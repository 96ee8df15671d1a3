"""The model under revision: models, versions as structured sections with stable keys,
drafts and publishing, import and export, and word-level diffs between versions."""
