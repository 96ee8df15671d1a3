"""The sign-in sheet of any gathering: accounts and walk-ins, headcount, remarks."""
