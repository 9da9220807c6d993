"""One module per component resource of the lambdakit program."""
