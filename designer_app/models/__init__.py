"""State holders (no widgets): the design document, the model status, the rendered image."""
