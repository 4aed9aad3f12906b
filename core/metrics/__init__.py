"""Every metric of METRICS.md as DuckDB SQL behind small typed functions (one module per section).

Part A: ``common`` (reference date, net amounts), ``base`` (the per-customer table), ``rfm``
(scores, eight segments, ABC tiers), ``segments`` (summaries) and ``lifecycle`` (stages, funnel,
cohorts, transitions). Nothing here imports streamlit; callers cache at the edge.
"""
