-- A submission's central channel (organs, enterprises, archives) when its scope is central; NULL for a province's
-- scopes. Rows read from `submissions` name their channel with it, as the staging views do.
CREATE MACRO scope_channel(scope_kind, scope_code) AS CASE WHEN scope_kind = 'central' THEN scope_code END;
