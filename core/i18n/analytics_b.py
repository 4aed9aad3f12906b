"""Texts of analytics part B: churn-warning reasons and notes, extra KPI names, CLI messages."""

TEXT: dict[str, tuple[str, str]] = {
    # Churn reasons (core.metrics.churn.reasons); {placeholders} are filled per customer.
    "ab.reason.churned": ("已 {days} 天未下单，已流失", "no order for {days} days: churned"),
    "ab.reason.overdue": ("{days} 天未下单（通常间隔 {gap} 天）", "no order for {days} days (usual gap {gap})"),
    "ab.reason.overdue_single": ("{days} 天未下单（尚无复购）", "no order for {days} days (never reordered)"),
    "ab.reason.spend_down": ("近 90 天消费比前 90 天下降 {pct}%", "spend down {pct} % vs previous quarter"),
    "ab.reason.detractor": ("最近一次 NPS {score} 分（贬损者）", "last NPS {score} (detractor)"),
    "ab.reason.low_csat": ("最近一次满意度 {score}/5 分", "last CSAT {score}/5"),
    "ab.reason.complaint_one": ("1 次投诉", "1 complaint"),
    "ab.reason.complaints": ("{n} 次投诉", "{n} complaints"),
    "ab.reason.no_followup": ("{days} 天未跟进", "no follow-up for {days} days"),
    "ab.reason.never_followed_up": ("从未跟进", "never followed up"),
    # Churn model notes (ChurnResult.note)
    "ab.note.model": (
        "{model} 模型：用 {n} 位客户的历史训练，并在随后 {h} 天的真实结果上检验，AUC {auc:.2f}，"
        "风险最高的 10% 客户中 {top:.0f}% 确实未再下单。",
        "{model}: trained on the history of {n} customers and checked against what happened in "
        "the following {h} days: AUC {auc:.2f}; {top:.0f} % of the top 10 % did not order again.",
    ),
    "ab.note.too_few_customers": (
        "数据太少，无法训练模型（可用于训练的客户只有 {n} 位，至少需要 {min} 位，且需要至少两个 {h} 天周期的订单历史）。"
        "风险按生命周期阶段的规则给出。",
        "Too little data to train a model ({n} customers to learn from, at least {min} needed, with "
        "order history covering two {h}-day periods). Risk follows the lifecycle-stage rules.",
    ),
    "ab.note.too_few_labels": (
        "历史中流失与留存的客户太少（流失 {churned} 位、留存 {stayed} 位，每类至少需要 {min} 位），无法训练模型。"
        "风险按生命周期阶段的规则给出。",
        "Too few customers who left or stayed in the history ({churned} left, {stayed} stayed; at "
        "least {min} of each needed) to train a model. Risk follows the lifecycle-stage rules.",
    ),
    "ab.churn.method.model": ("模型预测", "model"),
    "ab.churn.method.rules": ("规则（按生命周期阶段）", "rules (lifecycle stage)"),
    "ab.churn.auc": ("AUC（后续窗口检验）", "AUC (later window)"),
    "ab.churn.precision_top10": ("前 10% 命中率", "Precision in top 10 %"),
    "ab.churn.calibration": ("校准（按风险十分位）", "Calibration (risk deciles)"),
    "ab.churn.mean_predicted": ("平均预测风险", "Mean predicted risk"),
    "ab.churn.observed": ("实际流失比例", "Observed churn"),
    "ab.churn.churn_risk": ("流失风险", "Churn risk"),
    "ab.churn.risk_x_value": ("风险 × 价值", "Risk × value"),
    "ab.churn.churn_reasons": ("预警原因", "Reasons"),
    # KPIs not in core/i18n/common.py
    "ab.kpi.buying_customers": ("下单客户", "Buying customers"),
    "ab.kpi.followups_planned": ("计划跟进", "Follow-ups planned"),
    "ab.kpi.followups_done_rate": ("跟进完成率", "Follow-ups done rate"),
    "ab.kpi.target": ("目标", "Target"),
    "ab.kpi.progress": ("完成进度", "Progress"),
    "ab.kpi.previous": ("上期", "Previous period"),
    # Satisfaction columns
    "ab.sat.margin": ("误差范围 ±{margin:.0f}", "margin ±{margin:.0f}"),
    "ab.sat.small_sample": ("样本少于 {n}，仅供参考", "fewer than {n} answers: indicative only"),
    "ab.sat.promoters": ("推荐者", "Promoters"),
    "ab.sat.passives": ("中立者", "Passives"),
    "ab.sat.detractors": ("贬损者", "Detractors"),
    "ab.sat.ces": ("费力度 CES", "CES"),
    "ab.sat.complaints": ("投诉", "Complaints"),
    "ab.sat.keyword": ("关键词", "Keyword"),
    # CLI
    "ab.cli.written": ("已写入 {n} 位客户到 {path}", "wrote {n} customers to {path}"),
}
