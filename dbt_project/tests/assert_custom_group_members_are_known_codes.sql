-- Every member of a custom ethnicity grouping must be a code of the classification it names:
-- a typo in the seed would otherwise silently shrink the group.
with members as (
    select
        group_code,
        code_system,
        member_code
    from {{ ref('ethnicity_custom_groups') }}
),

known as (
    select
        'census' as code_system,
        census_code as code
    from {{ ref('ethnicity_census2021') }}
    union all
    select
        'dfe' as code_system,
        dfe_code as code
    from {{ ref('ethnicity_dfe_codes') }}
)

select members.*
from members
left join known
    on members.code_system = known.code_system and members.member_code = known.code
where known.code is null
