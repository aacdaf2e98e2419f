// SPDX-License-Identifier: GPL-2.0
/*
 * json_valid.c - exit 0 if standard input is exactly one JSON value, else
 * print where parsing failed and exit 1.  Parsing is json-c's, not ours.
 * With arguments, also require each NAME to be a key of the top object.
 * With -g A.B.C, print the value at that path of keys instead (a string
 * bare, anything else as JSON), or exit 1 if there is none.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

int main(int argc, char **argv)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj = NULL;
	enum json_tokener_error err = json_tokener_continue;
	char buf[4096];
	size_t n;
	int i;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
		obj = json_tokener_parse_ex(tok, buf, (int)n);
		err = json_tokener_get_error(tok);
		if (err != json_tokener_continue)
			break;
	}
	if (err == json_tokener_continue)
		obj = json_tokener_parse_ex(tok, "", -1);
	err = json_tokener_get_error(tok);
	if (!obj || err != json_tokener_success) {
		fprintf(stderr, "json_valid: %s at offset %zu\n",
			json_tokener_error_desc(err),
			json_tokener_get_parse_end(tok));
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "-g")) {
		char *path = argv[2], *key;
		struct json_object *v = obj;

		for (key = strtok(path, "."); key; key = strtok(NULL, "."))
			if (!json_object_is_type(v, json_type_object) ||
			    !json_object_object_get_ex(v, key, &v))
				return 1;
		if (json_object_is_type(v, json_type_string))
			printf("%s\n", json_object_get_string(v));
		else
			printf("%s\n", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!json_object_object_get_ex(obj, argv[i], NULL)) {
			fprintf(stderr, "json_valid: no key \"%s\"\n", argv[i]);
			return 1;
		}
	}
	json_object_put(obj);
	json_tokener_free(tok);
	return 0;
}
