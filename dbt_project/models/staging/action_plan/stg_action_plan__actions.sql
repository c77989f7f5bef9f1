-- One row per action per quarterly update of the race equality action plan.
-- Trackers write the recommendation (and often the theme) on the first action of each recommendation
-- only, like merged cells: both are filled down from the previous row of the same recommendation number,
-- in the same update first (by source_row), else an earlier or later update of the same plan.
-- Due dates were read at ingest (a month or financial quarter as its last day); On-going actions have
-- no due date by design. Overdue = due before the as-at date and not Complete.
with

source as (
    select * from {{ source('action_plan', 'action_plan') }}
),

renamed as (
    select
        -- Read from a column, the title rows or the file name (any case), else the data directory's authority.
        upper(authority_code) as authority_code,
        as_at_date,
        ref as action_ref,
        -- The recommendation number leads the reference: 1.1, R1.1 and 1a all belong to recommendation 1.
        try_cast(regexp_extract(ref, '(\d+)', 1) as integer) as recommendation_number,
        nullif(trim(theme), '') as theme_recorded,
        nullif(trim(recommendation), '') as recommendation_recorded,
        action as action_description,
        resource,
        start_date,
        start_date_note,
        due_date,
        due_date_note,
        owner,
        status,
        rag,
        percent_complete,
        progress_update,
        last_updated,
        _source_file as source_file,
        _source_row as source_row
    from source
),

conformed as (
    select
        authority_code,
        as_at_date,
        action_ref,
        recommendation_number,
        coalesce(
            last_value(theme_recorded ignore nulls) over preceding_rows,
            first_value(theme_recorded ignore nulls) over following_rows
        ) as theme,
        coalesce(
            last_value(recommendation_recorded ignore nulls) over preceding_rows,
            first_value(recommendation_recorded ignore nulls) over following_rows
        ) as recommendation,
        recommendation_recorded is null as is_recommendation_filled_down,
        action_description,
        resource,
        start_date,
        due_date,
        coalesce(due_date_note = 'On-going', false) as is_ongoing,
        coalesce(start_date_note = 'On-going', false) as is_start_ongoing,
        owner,
        status,
        status = 'Complete' as is_complete,
        coalesce(due_date < as_at_date and status <> 'Complete', false) as is_overdue,
        rag,
        percent_complete,
        progress_update,
        last_updated,
        source_file,
        source_row
    from renamed
    window
        preceding_rows as (
            partition by authority_code, recommendation_number
            order by as_at_date, source_row
            rows between unbounded preceding and current row
        ),
        following_rows as (
            partition by authority_code, recommendation_number
            order by as_at_date, source_row
            rows between current row and unbounded following
        )
)

select * from conformed
