/**
 * HTTP status codes by name, as Requests' `codes`: every name of the IANA HTTP Status Code
 * Registry plus Requests' aliases, each in snake_case, camelCase and UPPER_CASE, and the
 * standard reason phrase of each code.
 *
 * Where Requests and the registry disagree the registry wins: `uri_too_long` is 414 (URI
 * Too Long), not Requests' 122, which stays reachable as `request_uri_too_long`.
 *
 * @example
 * ```ts
 * codes.ok;                                   // 200
 * codes.not_found === codes.notFound;         // true (404)
 * codes.teapot === codes.IM_A_TEAPOT;         // true (418)
 * if (r.statusCode === codes.tooManyRequests) wait();
 * reasonPhrase(404);                          // 'Not Found'
 * ```
 */

// Code -> names, first name the registry's. Kept in code order like Requests' table so
// that it reads as a table; the types below invert it.
const NAMES = {
  // Informational.
  100: ['continue'],
  101: ['switching_protocols'],
  102: ['processing'],
  103: ['early_hints', 'checkpoint'],
  122: ['request_uri_too_long'],
  // Success.
  200: ['ok', 'okay', 'all_ok', 'all_okay', 'all_good', '\\o/', '✓'],
  201: ['created'],
  202: ['accepted'],
  203: ['non_authoritative_information', 'non_authoritative_info'],
  204: ['no_content'],
  205: ['reset_content', 'reset'],
  206: ['partial_content', 'partial'],
  207: ['multi_status', 'multiple_status', 'multi_stati', 'multiple_stati'],
  208: ['already_reported'],
  226: ['im_used'],
  // Redirection.
  300: ['multiple_choices'],
  301: ['moved_permanently', 'moved', '\\o-'],
  302: ['found'],
  303: ['see_other', 'other'],
  304: ['not_modified'],
  305: ['use_proxy'],
  306: ['switch_proxy'],
  307: ['temporary_redirect', 'temporary_moved', 'temporary'],
  308: ['permanent_redirect', 'resume_incomplete', 'resume'],
  // Client error.
  400: ['bad_request', 'bad'],
  401: ['unauthorized'],
  402: ['payment_required', 'payment'],
  403: ['forbidden'],
  404: ['not_found', '-o-'],
  405: ['method_not_allowed', 'not_allowed'],
  406: ['not_acceptable'],
  407: ['proxy_authentication_required', 'proxy_auth', 'proxy_authentication'],
  408: ['request_timeout', 'timeout'],
  409: ['conflict'],
  410: ['gone'],
  411: ['length_required'],
  // `precondition` is 428 in Requests (its later entry wins), so not listed here.
  412: ['precondition_failed'],
  413: ['content_too_large', 'request_entity_too_large', 'payload_too_large'],
  414: ['uri_too_long', 'request_uri_too_large'],
  415: ['unsupported_media_type', 'unsupported_media', 'media_type'],
  416: ['range_not_satisfiable', 'requested_range_not_satisfiable', 'requested_range'],
  417: ['expectation_failed'],
  418: ['im_a_teapot', 'teapot', 'i_am_a_teapot'],
  421: ['misdirected_request'],
  422: ['unprocessable_content', 'unprocessable_entity', 'unprocessable'],
  423: ['locked'],
  424: ['failed_dependency', 'dependency'],
  425: ['too_early', 'unordered_collection', 'unordered'],
  426: ['upgrade_required', 'upgrade'],
  428: ['precondition_required', 'precondition'],
  429: ['too_many_requests', 'too_many'],
  431: ['request_header_fields_too_large', 'header_fields_too_large', 'fields_too_large'],
  444: ['no_response', 'none'],
  449: ['retry_with', 'retry'],
  450: ['blocked_by_windows_parental_controls', 'parental_controls'],
  451: ['unavailable_for_legal_reasons', 'legal_reasons'],
  499: ['client_closed_request'],
  // Server error.
  500: ['internal_server_error', 'server_error', '/o\\', '✗'],
  501: ['not_implemented'],
  502: ['bad_gateway'],
  503: ['service_unavailable', 'unavailable'],
  504: ['gateway_timeout'],
  505: ['http_version_not_supported', 'http_version'],
  506: ['variant_also_negotiates'],
  507: ['insufficient_storage'],
  508: ['loop_detected'],
  509: ['bandwidth_limit_exceeded', 'bandwidth'],
  510: ['not_extended'],
  511: ['network_authentication_required', 'network_auth', 'network_authentication'],
} as const;

type Table = typeof NAMES;
type Name = Table[keyof Table][number];

/** `not_found` -> `notFound`; names without `_` are unchanged. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

type BySnake = { readonly [C in keyof Table as Table[C][number]]: C };
type ByCamel = { readonly [C in keyof Table as CamelCase<Table[C][number]>]: C };
// Requests upper-cases every name except the emoticons that start with a slash.
type UpperName<S extends string> = S extends `\\${string}` | `/${string}` ? never : Uppercase<S>;
type ByUpper = { readonly [C in keyof Table as UpperName<Table[C][number]>]: C };

/**
 * Every status name (snake_case, camelCase, UPPER_CASE) to its code, as literal types.
 *
 * @example
 * ```ts
 * const nf: StatusCodes['notFound'] = 404;
 * ```
 */
export type StatusCodes = BySnake & ByCamel & ByUpper;

/**
 * A name `codes` knows, in any of its three spellings.
 *
 * @example
 * ```ts
 * const name: StatusName = 'too_many_requests';
 * ```
 */
export type StatusName = keyof StatusCodes;

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function buildCodes(): StatusCodes {
  const out: Record<string, number> = Object.create(null);
  for (const [code, names] of Object.entries(NAMES)) {
    for (const name of names as readonly Name[]) {
      out[name] = Number(code);
      out[camel(name)] = Number(code);
      if (!name.startsWith('\\') && !name.startsWith('/')) out[name.toUpperCase()] = Number(code);
    }
  }
  return Object.freeze(out) as unknown as StatusCodes;
}

/**
 * Status codes by name: `codes.ok === 200`, `codes.not_found === codes.notFound === 404`.
 * Frozen; unknown names read as `undefined`.
 *
 * @example
 * ```ts
 * codes.temporary_redirect; // 307
 * codes['\\o/'];           // 200
 * ```
 */
export const codes: StatusCodes = buildCodes();

// Reason phrases as the IANA registry spells them today (RFC 9110), with the registry's
// older or non-standard codes that Requests names given their customary phrase.
const REASONS: Readonly<Record<number, string>> = Object.freeze({
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints',
  122: 'Request-URI Too Long',
  200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
  205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported', 226: 'IM Used',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  305: 'Use Proxy', 306: 'Switch Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required',
  408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required', 412: 'Precondition Failed',
  413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 416: 'Range Not Satisfiable',
  417: 'Expectation Failed', 418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Content',
  423: 'Locked', 424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required',
  428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  444: 'No Response', 449: 'Retry With', 450: 'Blocked by Windows Parental Controls',
  451: 'Unavailable For Legal Reasons', 499: 'Client Closed Request',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates',
  507: 'Insufficient Storage', 508: 'Loop Detected', 509: 'Bandwidth Limit Exceeded', 510: 'Not Extended',
  511: 'Network Authentication Required',
});

/**
 * The standard reason phrase of a status code, or `''` for a code without one (HTTP/2
 * and HTTP/3 carry no reason phrase, so responses over them take it from here).
 *
 * @example
 * ```ts
 * reasonPhrase(404); // 'Not Found'
 * reasonPhrase(299); // ''
 * ```
 */
export function reasonPhrase(code: number): string {
  return REASONS[code] ?? '';
}
