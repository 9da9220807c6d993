"""The pack's rules, one module per kind of resource they guard."""
