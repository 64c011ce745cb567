"""Tools for looking inside a run: ``python -m bench.tools.profile_probnn`` splits one training
step into its phases (the harness runs it for scenario 1's "where the time goes" paragraphs)."""
