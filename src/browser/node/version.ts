/** The package's version, written into the browser bundle when it is built. */
declare const __NODEQUESTS_VERSION__: string;
export const VERSION: string = __NODEQUESTS_VERSION__;
