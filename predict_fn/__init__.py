"""Lambda function that serves the HouseTS housing-price model."""
