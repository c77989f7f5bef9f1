-- PUBLIC INTERFACE: publish.action_plan_history (see _action_plan__models.yml). One row per action per
-- quarterly update, for trend charts of delivery: status, RAG, % complete and the overdue and due-soon
-- flags as at each update. The progress commentary is not published: it is free text that may name
-- people, and stays in the warehouse.
with

updates as (
    select * from {{ ref('int_action_plan__updates') }}
),

authorities as (
    select * from {{ ref('authorities') }}
),

final as (
    select
        updates.authority_code,
        authorities.authority_name,
        updates.as_at_date,
        updates.financial_quarter,
        updates.update_number,
        updates.is_latest_update,
        updates.action_ref,
        updates.recommendation_number,
        updates.theme,
        updates.owner,
        updates.due_date,
        updates.is_ongoing,
        updates.status,
        updates.rag,
        updates.percent_complete,
        updates.is_complete,
        updates.is_overdue,
        updates.days_overdue,
        updates.is_due_soon
    from updates
    left join authorities on updates.authority_code = authorities.authority_code
)

select * from final
