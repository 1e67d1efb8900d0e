/**
 * The credit windows both ends of the channel agree on. They bound what one request may
 * have in flight across the thread boundary: the memory a slow consumer or a slow server
 * can make the other side hold.
 */

/** How far a streamed (`stream: true`) response body may run ahead of its consumer before the worker pauses the socket. */
export const RESPONSE_WINDOW = 1 << 20;

/** How far a request body's producer on the main thread may run ahead of what the worker has sent. */
export const UPLOAD_WINDOW = 512 * 1024;
