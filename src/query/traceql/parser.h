// Parses the TraceQL subset:
//
//   query       := or_expr [ 'with' '(' hint ( ',' hint )* ')' ]
//   hint        := identifier '=' literal        (Tempo's query hints, e.g. most_recent=true)
//   or_expr     := and_expr ( '||' and_expr )*
//   and_expr    := struct_expr ( '&&' struct_expr )*
//   struct_expr := spanset ( ( '>>' | '>' ) spanset )*
//   spanset     := '{' [ field_or ] '}' | '(' or_expr ')'
//   field_or    := field_and ( '||' field_and )*
//   field_and   := field_term ( '&&' field_term )*
//   field_term  := '(' field_or ')' | field op literal
//   field       := span.x | resource.x | .x | name | status | kind | duration
//                | rootServiceName | rootName | traceDuration
//                | span:name | span:status | span:kind | span:duration
//                | trace:rootService | trace:rootName | trace:duration
//                | link:traceID | link:spanID     (true when any link of the span matches)
//   op          := = | != | > | >= | < | <= | =~ | !~
//   literal     := "string" | 12 | 1.5 | true | false | 100ms | ok | error
//                | unset | server | client | ... | nil
//
// Errors are kInvalidArgument: "traceql: column N: expected X but found Y".
#pragma once

#include <memory>
#include <string_view>

#include "core/status.h"
#include "query/traceql/ast.h"

namespace polytrace::traceql {

// The query and its hints.
Result<Query> ParseQuery(std::string_view query);
// The spanset expression alone (hints, if any, parsed and dropped).
Result<std::unique_ptr<SpansetExpr>> Parse(std::string_view query);

}  // namespace polytrace::traceql
