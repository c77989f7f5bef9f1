-- One row per action per quarterly update of the race equality action plan, with the delivery flags
-- every action-plan table reads, defined once here:
--   overdue   due date strictly before the as-at date and status not Complete (as staging);
--   due soon  not Complete, due on the as-at date or within var('action_plan_due_soon_days') days after it.
-- On-going actions (no due date) are neither. The update's label is its UK financial quarter
-- (30/06/2023 -> Q1 2023/24) and its number counts the plan's updates from the first.
{%- set due_soon_days = var('action_plan_due_soon_days', 90) %}
with

actions as (
    select * from {{ ref('stg_action_plan__actions') }}
),

update_dates as (
    select distinct
        authority_code,
        as_at_date
    from actions
),

updates as (
    select
        authority_code,
        as_at_date,
        cast(row_number() over plan_order as integer) as update_number,
        lead(as_at_date) over plan_order is null as is_latest_update
    from update_dates
    window plan_order as (partition by authority_code order by as_at_date)
),

flagged as (
    select
        actions.*,
        updates.update_number,
        updates.is_latest_update,
        -- The financial year starts in April: April-June is Q1, January-March Q4 of the year before.
        if(month(actions.as_at_date) >= 4, year(actions.as_at_date), year(actions.as_at_date) - 1)
            as financial_year_start,
        (month(actions.as_at_date) + 8) % 12 // 3 + 1 as financial_quarter_number,
        coalesce(actions.status = 'Complete', false) as is_done,
        actions.due_date is not null and actions.due_date < actions.as_at_date as is_past_due,
        actions.due_date is not null
        and actions.due_date >= actions.as_at_date
        and actions.due_date <= actions.as_at_date + {{ due_soon_days }} as is_due_within_window
    from actions
    inner join updates
        on actions.authority_code = updates.authority_code and actions.as_at_date = updates.as_at_date
),

final as (
    select
        authority_code,
        as_at_date,
        update_number,
        is_latest_update,
        'Q' || financial_quarter_number || ' '
        || {{ reporting_period('financial_year_start + 1') }} as financial_quarter,
        action_ref,
        recommendation_number,
        theme,
        recommendation,
        action_description,
        resource,
        start_date,
        due_date,
        is_ongoing,
        owner,
        status,
        is_done as is_complete,
        rag,
        percent_complete,
        is_past_due and not is_done as is_overdue,
        case when is_past_due and not is_done then cast(date_diff('day', due_date, as_at_date) as integer) end
            as days_overdue,
        is_due_within_window and not is_done as is_due_soon,
        case
            when due_date >= as_at_date and not is_done then cast(date_diff('day', as_at_date, due_date) as integer)
        end as days_until_due,
        source_row
    from flagged
)

select * from final
