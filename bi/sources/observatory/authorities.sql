-- Every authority in the published snapshot, from the tables the explorer's pages read.
select authority_code, authority_name from publish.outcome_indicators
union
select authority_code, authority_name from publish.pay_gap
union
select authority_code, authority_name from publish.workforce_representation
union
select authority_code, authority_name from publish.action_plan
