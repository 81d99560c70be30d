//! Reading a flow document into live objects, and laying changes over live lists.
