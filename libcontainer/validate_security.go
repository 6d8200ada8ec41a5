package libcontainer

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func validateHooksAndSecurity(s *specs.Spec) error {
	return validateHooks(s)
}
