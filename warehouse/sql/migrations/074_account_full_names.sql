-- The name of the person an account belongs to (张三), for what leaves the platform — an export's 导出人, a bulletin's
-- or report's 生成人 — to name a person and not only a login. Accounts of before have none (NULL) until an
-- administrator gives one; the grain of users is unchanged.
ALTER TABLE users ADD COLUMN full_name VARCHAR;
