"""Coverage-guided fuzzing of the edges (atheris): `make fuzz`, docs/testing.md "Fuzzing"."""
