# Only for `sam build` (BuildMethod: makefile, built in source: samconfig.toml sets
# build_in_source). Each function's target is build-<LogicalId>, e.g. build-GetTenantFunction;
# its crate is the logical id without "Function", in kebab case (GetTenant → get-tenant; a test
# holds the template's names to that). Use scripts/package to build and check every package.

build-%Function:
	scripts/lambda-build "$$(echo '$*' | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g' | tr 'A-Z' 'a-z')" "$(ARTIFACTS_DIR)"

.PHONY: build-%Function
