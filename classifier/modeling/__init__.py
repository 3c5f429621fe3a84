"""Modeling: story features → rating and warnings (scorer), training and export, safe persistence."""
