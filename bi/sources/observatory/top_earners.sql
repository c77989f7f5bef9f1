-- publish.top_earners from the published snapshot (columns described in
-- dbt_project/models/publish/_publish__models.yml); available to pages as observatory.top_earners
select * from publish.top_earners
