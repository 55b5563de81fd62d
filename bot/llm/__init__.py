"""Language models: providers behind one router, Jinja prompts, token budgets and local mode.

See docs/llm.md.
"""
