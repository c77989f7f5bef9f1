-- One row per action of each authority's plan: every action of the latest update, and every action
-- that appeared in an earlier update but not in the latest (is_in_latest_update false: dropped from
-- the plan, merged, or its row quarantined). Each carries its last recorded state (status, RAG,
-- % complete, overdue and due-soon flags, all as at the update it was last recorded in) and its
-- status history: the status at its first update and at every update where the status changed,
-- "Q3 2021/22 Not started -> Q1 2022/23 On track -> Q3 Complete" (the financial year is written
-- when it differs from the previous entry's).
with

updates as (
    select * from {{ ref('int_action_plan__updates') }}
),

plan_latest as (
    select
        authority_code,
        max(as_at_date) as plan_as_at_date
    from updates
    group by authority_code
),

sequenced as (
    select
        *,
        lag(status) over action_updates as previous_status,
        cast(count(*) over action_updates_all as integer) as updates_count,
        min(as_at_date) over action_updates_all as first_seen_as_at_date,
        max(as_at_date) over action_updates_all as last_seen_as_at_date
    from updates
    window
        action_updates as (partition by authority_code, action_ref order by as_at_date),
        action_updates_all as (partition by authority_code, action_ref)
),

status_changes as (
    select
        authority_code,
        action_ref,
        as_at_date,
        financial_quarter,
        status,
        -- 'Q2 2023/24' -> 'Q2' when the previous entry is in the same financial year.
        split_part(financial_quarter, ' ', 2)
        = coalesce(split_part(lag(financial_quarter) over action_changes, ' ', 2), '') as is_same_year
    from sequenced
    where previous_status is null or status != previous_status
    window action_changes as (partition by authority_code, action_ref order by as_at_date)
),

histories as (
    select
        authority_code,
        action_ref,
        cast(count(*) as integer) as status_changes,
        string_agg(
            if(is_same_year, split_part(financial_quarter, ' ', 1), financial_quarter) || ' ' || status,
            ' -> ' order by as_at_date
        ) as status_history
    from status_changes
    group by authority_code, action_ref
),

last_recorded as (
    select * from sequenced
    where as_at_date = last_seen_as_at_date
),

final as (
    select
        last_recorded.authority_code,
        plan_latest.plan_as_at_date,
        last_recorded.action_ref,
        last_recorded.recommendation_number,
        last_recorded.theme,
        last_recorded.recommendation,
        last_recorded.action_description,
        last_recorded.owner,
        last_recorded.resource,
        last_recorded.start_date,
        last_recorded.due_date,
        last_recorded.is_ongoing,
        last_recorded.as_at_date as status_as_at_date,
        last_recorded.financial_quarter as status_financial_quarter,
        last_recorded.status,
        last_recorded.rag,
        last_recorded.percent_complete,
        last_recorded.is_complete,
        last_recorded.is_overdue,
        last_recorded.days_overdue,
        last_recorded.is_due_soon,
        last_recorded.days_until_due,
        last_recorded.as_at_date = plan_latest.plan_as_at_date as is_in_latest_update,
        last_recorded.first_seen_as_at_date,
        last_recorded.updates_count,
        histories.status_changes,
        histories.status_history
    from last_recorded
    inner join plan_latest on last_recorded.authority_code = plan_latest.authority_code
    inner join histories
        on
            last_recorded.authority_code = histories.authority_code
            and last_recorded.action_ref = histories.action_ref
)

select * from final
