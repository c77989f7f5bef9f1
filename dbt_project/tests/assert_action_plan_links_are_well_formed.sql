-- Every row of seed action_plan_indicator_links names its action (by reference or description) and,
-- where it targets a group, a group code the published tables use: a typo would otherwise leave the
-- link's group figures silently empty ('x').
with links as (
    select * from {{ ref('action_plan_indicator_links') }}
),

known_codes as (
    select ethnicity_code from {{ ref('int_ethnicity__groups') }}
    union all
    select 'EM' as ethnicity_code
)

select links.*
from links
where
    (nullif(trim(links.action_ref), '') is null and nullif(trim(links.action_description), '') is null)
    or (
        nullif(trim(links.ethnicity_code), '') is not null
        and trim(links.ethnicity_code) not in (select known_codes.ethnicity_code from known_codes)
    )
