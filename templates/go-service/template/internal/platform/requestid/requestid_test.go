package requestid

import (
	"context"
	"testing"
)

func TestContext(t *testing.T) {
	ctx := context.Background()
	if got := FromContext(ctx); got != "" {
		t.Errorf("FromContext(empty) = %q", got)
	}
	if got := FromContext(NewContext(ctx, "abc")); got != "abc" {
		t.Errorf("FromContext = %q", got)
	}
}
