/* test_send_reply.c - beacon/send.c: which request an answer's id refers to
 * (issue 14 item 8: "id":0 matched a free slot, recorded a phantom accept
 * and underflowed in_flight). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine_impl.h"

static void test_ids(void **state)
{
    (void)state;
    struct send_slot slots[4];
    struct send_conn c;

    memset(slots, 0, sizeof slots);
    memset(&c, 0, sizeof c);
    c.slots = slots;
    /* Nothing sent yet: every slot is free (id 0); no id matches, 0 least. */
    assert_int_equal(send_reply_match(&c, 4, 0), SEND_REPLY_UNKNOWN);
    assert_int_equal(send_reply_match(&c, 4, 4), SEND_REPLY_UNKNOWN);
    /* Ids 1 (registration, no slot) .. 7 sent; 2..4 ended (answered or
     * timed out), 5..7 out, in slots 1..3. Slot 0 is free: its id is 0. */
    c.next_id = 7;
    for (uint64_t id = 5; id <= 7; id++)
        slots[id % 4].id = id;
    assert_int_equal(slots[0].id, 0);
    assert_int_equal(send_reply_match(&c, 4, 5), SEND_REPLY_OK);
    assert_int_equal(send_reply_match(&c, 4, 7), SEND_REPLY_OK);
    assert_int_equal(send_reply_match(&c, 4, 4), SEND_REPLY_LATE);
    assert_int_equal(send_reply_match(&c, 4, 1), SEND_REPLY_LATE);
    /* The defect: id 0 lands on free slot 0, whose id is 0 too. */
    assert_int_equal(send_reply_match(&c, 4, 0), SEND_REPLY_UNKNOWN);
    /* Ids never sent, however they fall in the ring. */
    assert_int_equal(send_reply_match(&c, 4, 8), SEND_REPLY_UNKNOWN);
    assert_int_equal(send_reply_match(&c, 4, 9), SEND_REPLY_UNKNOWN);
    assert_int_equal(send_reply_match(&c, 4, UINT64_MAX), SEND_REPLY_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
