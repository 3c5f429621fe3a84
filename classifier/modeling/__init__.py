"""Modeling: the story model (passages → pooled → calibrated labels), training, persistence."""
