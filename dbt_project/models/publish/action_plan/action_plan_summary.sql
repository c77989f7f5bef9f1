-- PUBLIC INTERFACE: publish.action_plan_summary (see _action_plan__models.yml). Counts of the plan's
-- actions at every quarterly update, by theme and owner, with 'All' rows for each theme (every owner),
-- each owner (every theme) and the whole plan. The whole-plan row of the latest update gives the
-- catalogue's ap_actions_on_track_pct (complete_or_on_track_pct) and ap_actions_overdue (overdue).
-- Counts of actions are not about people: no disclosure control applies.
with

updates as (
    select
        *,
        coalesce(theme, 'Theme not recorded') as theme_label
    from {{ ref('int_action_plan__updates') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

counted as (
    select
        authority_code,
        as_at_date,
        financial_quarter,
        update_number,
        is_latest_update,
        if(grouping(theme_label) = 1, 'All', theme_label) as theme,
        if(grouping(owner) = 1, 'All', owner) as owner,
        cast(count(*) as integer) as actions,
        cast(count_if(status = 'Not started') as integer) as not_started,
        cast(count_if(status = 'On track') as integer) as on_track,
        cast(count_if(status = 'At risk') as integer) as at_risk,
        cast(count_if(status = 'Off track') as integer) as off_track,
        cast(count_if(status = 'Complete') as integer) as complete,
        cast(count_if(is_overdue) as integer) as overdue,
        cast(count_if(is_due_soon) as integer) as due_soon,
        cast(count_if(is_ongoing) as integer) as no_due_date
    from updates
    group by grouping sets (
        (authority_code, as_at_date, financial_quarter, update_number, is_latest_update, theme_label, owner),
        (authority_code, as_at_date, financial_quarter, update_number, is_latest_update, theme_label),
        (authority_code, as_at_date, financial_quarter, update_number, is_latest_update, owner),
        (authority_code, as_at_date, financial_quarter, update_number, is_latest_update)
    )
),

final as (
    select
        counted.authority_code,
        authorities.authority_name,
        counted.as_at_date,
        counted.financial_quarter,
        counted.update_number,
        counted.is_latest_update,
        counted.theme,
        counted.owner,
        counted.actions,
        counted.not_started,
        counted.on_track,
        counted.at_risk,
        counted.off_track,
        counted.complete,
        counted.overdue,
        counted.due_soon,
        counted.no_due_date,
        round(100.0 * (counted.complete + counted.on_track) / counted.actions, 1) as complete_or_on_track_pct,
        round(100.0 * counted.overdue / counted.actions, 1) as overdue_pct
    from counted
    left join authorities on counted.authority_code = authorities.authority_code
)

select * from final
