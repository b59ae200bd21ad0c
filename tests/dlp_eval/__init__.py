"""A labelled evaluation set for the leak-prevention detectors, generated from seeds."""
