-- publish.data_quality has at least one row for every data contract, received or not.
select contracts.source_name
from {{ ref('source_contracts') }} as contracts
where not exists (
    select 1 from {{ ref('data_quality') }} as dq
    where dq.source_name = contracts.source_name
)
