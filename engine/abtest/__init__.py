"""A/B batches: N variants of a design or prompt, in the folder format the tuner reads."""
