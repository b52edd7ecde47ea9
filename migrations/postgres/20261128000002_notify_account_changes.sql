-- Every change to an account notifies the gateway processes, which drop their cached copy.
CREATE FUNCTION okta_gateway_notify_account_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('okta_gateway_accounts', COALESCE(NEW.name, OLD.name));
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION okta_gateway_notify_account_change();
