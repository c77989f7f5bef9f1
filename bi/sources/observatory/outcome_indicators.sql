-- publish.outcome_indicators from the published snapshot (columns described in
-- dbt_project/models/publish/_publish__models.yml); available to pages as observatory.outcome_indicators
select * from publish.outcome_indicators
