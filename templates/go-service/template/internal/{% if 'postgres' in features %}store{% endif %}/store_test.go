package store

import (
	"errors"
	"strings"
	"testing"
)

func TestListQueryAllowListsSort(t *testing.T) {
	q, args, err := listQuery(ListFilter{Sort: "created_at", Desc: true, Limit: 10, OwnerID: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT id, owner_id, name, created_at, updated_at FROM items WHERE owner_id = $1 ORDER BY "created_at" DESC, id DESC LIMIT $2`
	if q != want || len(args) != 2 || args[0] != "u1" || args[1] != 10 {
		t.Errorf("listQuery = %q %v\nwant      %q", q, args, want)
	}
	if q, _, _ := listQuery(ListFilter{}); !strings.Contains(q, `ORDER BY "id" ASC LIMIT $1`) {
		t.Errorf("empty filter query = %q", q)
	}
}

func TestListQueryRejectsUnknownSortAndLimit(t *testing.T) {
	for _, f := range []ListFilter{
		{Sort: "name; DROP TABLE items; --"},
		{Sort: `"name"`},
		{Sort: "owner_id"},
		{Limit: -1},
		{Limit: MaxLimit + 1},
	} {
		q, _, err := listQuery(f)
		if !errors.Is(err, ErrInvalidFilter) || q != "" {
			t.Errorf("listQuery(%+v) = %q, %v; want ErrInvalidFilter and no SQL", f, q, err)
		}
	}
}
