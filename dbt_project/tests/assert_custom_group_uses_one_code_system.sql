-- A custom ethnicity group is defined on one code system (Census 2021 or DfE codes): a person then
-- falls in a group at most once (macros/outcome_cells.sql joins each code system separately).
select group_code
from {{ ref('ethnicity_custom_groups') }}
group by group_code
having count(distinct code_system) > 1
