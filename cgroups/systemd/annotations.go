package systemd

import (
	"fmt"
	"sort"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// AnnotationPrefix marks annotations that set a unit property directly,
// as runc reads them: "org.systemd.property.TimeoutStopUSec": "uint64 123".
const AnnotationPrefix = "org.systemd.property."

// AnnotationProps turns org.systemd.property.<Name> annotations into unit
// properties. The value is GVariant text; a name ending in "Sec" (after a
// lower-case letter) is systemd's seconds form of the "USec" property and
// is converted to it.
func AnnotationProps(ann map[string]string) ([]sd.Property, error) {
	keys := make([]string, 0, len(ann))
	for k := range ann {
		if strings.HasPrefix(k, AnnotationPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []sd.Property
	for _, k := range keys {
		v := ann[k]
		name := strings.TrimPrefix(k, AnnotationPrefix)
		if len(name) < 2 {
			return nil, fmt.Errorf("annotation %s name too short", k)
		}
		if !validPropName(name) {
			return nil, fmt.Errorf("annotation %s name invalid", k)
		}
		value, err := dbus.ParseVariant(v, dbus.Signature{})
		if err != nil {
			return nil, fmt.Errorf("annotation %s=%s value parse error: %w", k, v, err)
		}
		if trim := strings.TrimSuffix(name, "Sec"); len(trim) < len(name) {
			if ch := trim[len(trim)-1]; ch >= 'a' && ch <= 'z' {
				name = trim + "USec"
				if value, err = secToUSec(value); err != nil {
					return nil, fmt.Errorf("annotation %s=%s value parse error: %w", k, v, err)
				}
			}
		}
		out = append(out, sd.Property{Name: name, Value: value})
	}
	return out, nil
}

// validPropName: an upper-case ASCII letter, then letters and digits.
func validPropName(n string) bool {
	for i, c := range n {
		switch {
		case c >= 'A' && c <= 'Z':
		case i > 0 && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9'):
		default:
			return false
		}
	}
	return true
}

func secToUSec(v dbus.Variant) (dbus.Variant, error) {
	var sec float64
	switch n := v.Value().(type) {
	case uint8:
		sec = float64(n)
	case int16:
		sec = float64(n)
	case uint16:
		sec = float64(n)
	case int32:
		sec = float64(n)
	case uint32:
		sec = float64(n)
	case int64:
		sec = float64(n)
	case uint64:
		return dbus.MakeVariant(n * 1000000), nil
	case float64:
		sec = n
	default:
		return v, fmt.Errorf("unsupported type %s", v.Signature())
	}
	if sec < 0 {
		return v, fmt.Errorf("negative value %v", sec)
	}
	return dbus.MakeVariant(uint64(sec * 1000000)), nil
}
