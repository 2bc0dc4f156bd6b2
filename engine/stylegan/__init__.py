"""StyleGAN2 (ADA-compatible) networks, checkpoints, safe pkl import and the live renderer."""
