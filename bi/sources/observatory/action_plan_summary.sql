-- publish.action_plan_summary from the published snapshot (columns described in
-- dbt_project/models/publish/_publish__models.yml); available to pages as observatory.action_plan_summary
select * from publish.action_plan_summary
