"""Names of the analytics categories: RFM segments, ABC tiers, lifecycle stages, funnel steps."""

TEXT: dict[str, tuple[str, str]] = {
    # RFM eight segments (METRICS.md table); codes from core.metrics.rfm.SEGMENTS
    "segment.champions": ("重要价值客户", "Champions (important value)"),
    # churn reason when no rule reason applies (core.metrics.churn.PATTERN_REASON_FROM)
    "ab.reason.pattern": ("模型依据整体购买模式判断（{days} 天未下单，共 {orders} 单）",
                          "overall buying pattern ({days} days since the last order, {orders} orders)"),
    "segment.important_develop": ("重要发展客户", "Important to develop"),
    "segment.important_keep": ("重要保持客户", "Important to keep"),
    "segment.important_win_back": ("重要挽留客户", "Important to win back"),
    "segment.general_value": ("一般价值客户", "General value"),
    "segment.general_develop": ("一般发展客户", "General to develop"),
    "segment.general_keep": ("一般保持客户", "General to keep"),
    "segment.general_win_back": ("一般挽留客户", "General to win back"),
    "segment.none": ("未下单", "No orders yet"),
    # ABC value tiers
    "tier.A": ("A 类（核心价值）", "A (top value)"),
    "tier.B": ("B 类（次要价值）", "B (middle value)"),
    "tier.C": ("C 类（一般价值）", "C (low value)"),
    # Lifecycle stages; codes from core.metrics.lifecycle.STAGES
    "stage.potential": ("潜在客户", "Potential"),
    "stage.new": ("新客户", "New"),
    "stage.active": ("活跃客户", "Active"),
    "stage.loyal": ("忠诚客户", "Loyal"),
    "stage.at_risk": ("预警客户", "At risk"),
    "stage.churned": ("流失客户", "Churned"),
    # From-stage of a transition: not yet in the customer file at the start month end
    "stage.joined": ("新加入", "Joined"),
    # Lifecycle funnel steps
    "metrics.funnel.all": ("全部客户", "All customers"),
    "metrics.funnel.ordered_once": ("至少下单一次", "Ordered once"),
    "metrics.funnel.ordered_twice": ("复购（至少两次）", "Ordered twice (repeat)"),
    "metrics.funnel.loyal": ("忠诚客户", "Loyal"),
    # R/F/M column names
    "metrics.recency_days": ("最近购买距今（天）", "Recency (days)"),
    "metrics.frequency": ("购买频次", "Frequency (orders)"),
    "metrics.monetary": ("消费金额", "Monetary (net spend)"),
    "metrics.r_score": ("R 得分", "R score"),
    "metrics.f_score": ("F 得分", "F score"),
    "metrics.m_score": ("M 得分", "M score"),
    "metrics.rfm_segment": ("RFM 客户类型", "RFM segment"),
    "metrics.abc_tier": ("ABC 分级", "ABC tier"),
    "metrics.lifecycle_stage": ("生命周期阶段", "Lifecycle stage"),
}
