"""Every metric of METRICS.md as DuckDB SQL behind small typed functions (one module per section).

``common`` (reference date, which orders count), ``base`` (the per-customer table:
``customer_facts`` → ``classify``), ``rfm`` (scores, eight segments, ABC tiers), ``segments``
(summaries, Pareto, breakdowns, drill-down) and ``lifecycle`` (stages, funnel, cohorts,
transitions, churn rate); ``churn``, ``satisfaction``, ``kpi`` and ``keywords`` build on them.
Nothing here imports streamlit; callers cache at the edge.
"""
