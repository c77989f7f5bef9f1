-- publish.action_plan from the published snapshot (columns described in
-- dbt_project/models/publish/_publish__models.yml); available to pages as observatory.action_plan
select * from publish.action_plan
