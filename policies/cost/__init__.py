"""What a planned stack costs a month: the model the offline preview prints and the pack's budget rule judges."""
