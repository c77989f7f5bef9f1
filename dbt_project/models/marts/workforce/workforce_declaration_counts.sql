-- Ethnicity declaration of staff (methods reference §5: report the share who declared and the share
-- "prefer not to say") before disclosure control (private mart): per authority, payroll snapshot and
-- directorate, plus 'All directorates'. Declared = a stated ethnicity: one the lookup maps (known) or a
-- label it does not hold yet (unmapped, a data-quality finding, still a declaration).
with

payroll as (
    select * from {{ ref('stg_hr__payroll') }}
),

staff as (
    select
        authority_code,
        snapshot_date,
        coalesce(directorate, 'Directorate not recorded') as directorate,
        ethnicity_status
    from payroll
    union all
    select
        authority_code,
        snapshot_date,
        'All directorates' as directorate,
        ethnicity_status
    from payroll
),

final as (
    select
        authority_code,
        snapshot_date,
        directorate,
        directorate = 'All directorates' as is_all_directorates,
        count(*)::integer as headcount,
        count(*) filter (where ethnicity_status in ('known', 'unmapped'))::integer as declared,
        count(*) filter (where ethnicity_status = 'unmapped')::integer as declared_unmapped,
        count(*) filter (where ethnicity_status = 'prefer_not_to_say')::integer as prefer_not_to_say,
        count(*) filter (where ethnicity_status = 'not_recorded')::integer as not_recorded
    from staff
    group by authority_code, snapshot_date, directorate
)

select * from final
