"""The seven "Key SQL Queries" of the seed, verbatim (trailing blanks trimmed).

They are the analysts' contract on the read model: each must run unmodified on the 25
read tables from the default search_path.
"""

from __future__ import annotations

SEED_QUERIES: dict[str, str] = {
    # Lead Funnel Analysis
    "lead-funnel": """\
-- Lead conversion funnel
SELECT
    lead_source,
    COUNT(*) as total_leads,
    COUNT(CASE WHEN lead_status = 'qualified' THEN 1 END) as qualified_leads,
    COUNT(CASE WHEN converted = true THEN 1 END) as converted_leads,
    ROUND(COUNT(CASE WHEN converted = true THEN 1 END)::DECIMAL /
          NULLIF(COUNT(*), 0) * 100, 2) as conversion_rate_pct
FROM leads
WHERE created_at >= CURRENT_DATE - INTERVAL '90 days'
GROUP BY lead_source
ORDER BY total_leads DESC;
""",
    # Opportunity Pipeline
    "pipeline": """\
-- Current pipeline by stage
SELECT
    stage,
    COUNT(*) as opportunity_count,
    SUM(amount) as total_amount,
    ROUND(AVG(amount), 2) as avg_deal_size,
    ROUND(AVG(probability_pct), 2) as avg_probability,
    SUM(amount * probability_pct / 100) as weighted_pipeline
FROM opportunities
WHERE is_active = true
AND stage NOT IN ('closed_won', 'closed_lost')
GROUP BY stage
ORDER BY
    CASE stage
        WHEN 'prospecting' THEN 1
        WHEN 'qualification' THEN 2
        WHEN 'needs_analysis' THEN 3
        WHEN 'proposal' THEN 4
        WHEN 'negotiation' THEN 5
    END;
""",
    # Sales Rep Performance
    "rep-performance": """\
-- Rep performance metrics
SELECT
    sr.rep_code,
    sr.first_name || ' ' || sr.last_name as rep_name,
    sr.annual_quota,
    sr.ytd_revenue,
    ROUND((sr.ytd_revenue / NULLIF(sr.annual_quota, 0)) * 100, 2) as quota_attainment_pct,
    COUNT(DISTINCT o.opportunity_id) as total_opportunities,
    COUNT(DISTINCT CASE WHEN o.stage = 'closed_won' THEN o.opportunity_id END) as won_deals,
    ROUND(COUNT(DISTINCT CASE WHEN o.stage = 'closed_won' THEN o.opportunity_id END)::DECIMAL /
          NULLIF(COUNT(DISTINCT CASE WHEN o.is_closed = true THEN o.opportunity_id END), 0) * 100, 2) as win_rate_pct,
    ROUND(AVG(CASE WHEN o.stage = 'closed_won' THEN o.amount END), 2) as avg_deal_size
FROM sales_reps sr
LEFT JOIN opportunities o ON sr.sales_rep_id = o.opportunity_owner
GROUP BY sr.sales_rep_id, sr.rep_code, sr.first_name, sr.last_name, sr.annual_quota, sr.ytd_revenue
ORDER BY quota_attainment_pct DESC;
""",  # noqa: E501 (verbatim SQL)
    # Account Health Score
    "account-health": """\
-- Accounts by health score and risk
SELECT
    account_tier,
    relationship_status,
    CASE
        WHEN health_score >= 80 THEN 'Excellent'
        WHEN health_score >= 60 THEN 'Good'
        WHEN health_score >= 40 THEN 'Fair'
        ELSE 'Poor'
    END as health_category,
    COUNT(*) as account_count,
    SUM(lifetime_value) as total_ltv,
    ROUND(AVG(health_score), 2) as avg_health_score
FROM accounts
WHERE is_active = true
GROUP BY account_tier, relationship_status, health_category
ORDER BY account_tier, health_category DESC;
""",
    # Sales Forecast Accuracy
    "forecast-accuracy": """\
-- Forecast accuracy by quarter
SELECT
    forecast_year,
    forecast_quarter,
    SUM(commit_amount) as forecasted_revenue,
    SUM(actual_revenue) as actual_revenue,
    SUM(actual_revenue) - SUM(commit_amount) as variance,
    ROUND((SUM(actual_revenue) / NULLIF(SUM(commit_amount), 0) - 1) * 100, 2) as variance_pct
FROM sales_forecasts
WHERE forecast_period = 'quarterly'
GROUP BY forecast_year, forecast_quarter
ORDER BY forecast_year DESC, forecast_quarter DESC;
""",
    # Campaign ROI
    "campaign-roi": """\
-- Campaign return on investment
SELECT
    c.campaign_name,
    c.campaign_type,
    c.actual_cost,
    c.total_leads,
    c.qualified_leads,
    c.opportunities_created,
    c.deals_won,
    c.total_revenue,
    ROUND((c.total_revenue - c.actual_cost) / NULLIF(c.actual_cost, 0) * 100, 2) as roi_pct,
    ROUND(c.actual_cost / NULLIF(c.total_leads, 0), 2) as cost_per_lead,
    ROUND(c.total_revenue / NULLIF(c.deals_won, 0), 2) as revenue_per_deal
FROM campaigns c
WHERE c.campaign_status = 'completed'
ORDER BY roi_pct DESC;
""",
    # Case SLA Performance
    "case-sla": """\
-- Case resolution and SLA compliance
SELECT
    priority,
    case_status,
    COUNT(*) as case_count,
    COUNT(CASE WHEN sla_violated = true THEN 1 END) as sla_violations,
    ROUND(COUNT(CASE WHEN sla_violated = true THEN 1 END)::DECIMAL /
          NULLIF(COUNT(*), 0) * 100, 2) as sla_violation_pct,
    ROUND(AVG(EXTRACT(EPOCH FROM (resolved_date - created_at))/3600), 2) as avg_resolution_hours
FROM cases
WHERE created_at >= CURRENT_DATE - INTERVAL '30 days'
GROUP BY priority, case_status
ORDER BY priority, case_status;
""",
}
"""Query name -> SQL, in the seed's order."""
