"""What the traffic costs (`cost`) and who uses which data (`usage`), from the log alone."""
