#!/usr/bin/env python3
"""A CKAN API client as ckanapi's RemoteCKAN.call_action makes its requests and reads its answers.

ckanapi itself cannot be installed here (no PyPI); this mirrors ckanapi 4.x: POST of a JSON body to
{address}/api/action/{name} (GET with query parameters when get_only), the token in the Authorization header,
and common.reverse_apicontroller_action's reading of the envelope into NotFound/NotAuthorized/ValidationError.

Usage: ckanapi_like_client.py BASE_URL SYSADMIN_TOKEN  -> prints one JSON object of what it saw.
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


class CKANAPIError(Exception):
    pass


class NotAuthorized(CKANAPIError):
    pass


class NotFound(CKANAPIError):
    pass


class ValidationError(CKANAPIError):
    def __init__(self, error_dict):
        super().__init__(error_dict)
        self.error_dict = error_dict


def reverse_apicontroller_action(url, status, response):
    try:
        parsed = json.loads(response)
        if parsed.get('success'):
            return parsed['result']
        err = parsed.get('error', {}) if hasattr(parsed, 'get') else {}
    except (AttributeError, ValueError):
        err = {}
    if not isinstance(err, dict):
        raise CKANAPIError(repr([url, status, response]))
    etype = err.get('__type')
    emessage = err.get('message', '')
    if hasattr(emessage, 'split'):
        emessage = emessage.split(': ', 1)[-1]
    if etype == 'Validation Error':
        raise ValidationError(err)
    if etype == 'Not Found Error':
        raise NotFound(emessage)
    if etype == 'Authorization Error':
        raise NotAuthorized(err)
    raise CKANAPIError(repr([url, status, response]))


class RemoteCKAN:
    def __init__(self, address, apikey=None, user_agent='ckanapi/4.7 (+https://github.com/ckan/ckanapi)'):
        self.address = address
        self.apikey = apikey
        self.user_agent = user_agent

    def call_action(self, action, data_dict=None, get_only=False):
        url = self.address.rstrip('/') + '/api/action/' + action
        data_dict = data_dict or {}
        headers = {'User-Agent': self.user_agent}
        if get_only:
            url += '?' + urllib.parse.urlencode(data_dict)
            data = None
        else:
            data = json.dumps(data_dict).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        if self.apikey:
            headers['Authorization'] = self.apikey
        request = urllib.request.Request(url, data=data, headers=headers, method='GET' if get_only else 'POST')
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body = response.status, response.read().decode('utf-8')
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode('utf-8')
        return reverse_apicontroller_action(url, status, body)


def main():
    base, token = sys.argv[1], sys.argv[2]
    sysadmin = RemoteCKAN(base, apikey=token)
    anonymous = RemoteCKAN(base)
    seen = {}
    seen['harvesters'] = [h['name'] for h in anonymous.call_action('harvesters_info_show', get_only=True)]
    source = sysadmin.call_action('harvest_source_create', {
        'name': 'py-source', 'url': 'http://py.example.org/', 'source_type': 'scripted',
        'title': 'From Python', 'config': '{"guids": ["p"]}'})
    seen['created'] = {'name': source['name'], 'title': source['title'], 'status': source['status']}
    try:
        sysadmin.call_action('harvest_source_create', {'name': 'py-source', 'url': 'http://py2.example.org/',
                                                       'source_type': 'scripted'})
    except ValidationError as e:
        seen['validation_error_fields'] = sorted(k for k in e.error_dict if k not in ('__type', 'message'))
    try:
        anonymous.call_action('harvest_log_list', get_only=True)
    except NotAuthorized:
        seen['anonymous_log_list'] = 'NotAuthorized'
    try:
        anonymous.call_action('harvest_source_show', {'id': 'nope'}, get_only=True)
    except NotFound as e:
        seen['not_found_message'] = str(e)
    job = sysadmin.call_action('harvest_job_create', {'source_id': source['id']})
    seen['job'] = {'source_id': job['source_id'] == source['id'], 'status': job['status']}
    shown = anonymous.call_action('harvest_source_show', {'id': 'py-source'}, get_only=True)
    seen['shown_title'] = shown['title']
    print(json.dumps(seen))


if __name__ == '__main__':
    main()
