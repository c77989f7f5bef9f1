-- publish.workforce_representation from the published snapshot (columns described in
-- dbt_project/models/publish/_publish__models.yml); available to pages as observatory.workforce_representation
select * from publish.workforce_representation
